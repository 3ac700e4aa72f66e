/// `GET /`: pick a task, drop an image, see its top 5 — one self-contained page (no
/// external script, style or font), talking to the same JSON API as any client.
enum StatusPage {
    static let html = """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>confit serve</title>
        <style>
          body { font: 15px/1.4 system-ui, sans-serif; max-width: 42rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
          h1 { font-size: 1.3rem; margin-bottom: .2rem; }
          .muted { color: #666; font-size: .9rem; }
          select, button { font: inherit; padding: .3rem .5rem; }
          #drop { margin: 1rem 0; border: 2px dashed #999; border-radius: 8px; padding: 2rem; text-align: center; cursor: pointer; }
          #drop.over { border-color: #2a6ad8; background: #eef4ff; }
          #preview { max-width: 100%; max-height: 240px; display: none; margin: 0 auto 1rem; border-radius: 4px; }
          table { border-collapse: collapse; width: 100%; }
          td { padding: .25rem .4rem; border-bottom: 1px solid #eee; }
          td.p { text-align: right; font-variant-numeric: tabular-nums; width: 5rem; }
          td.b { width: 50%; }
          .bar { height: .6rem; background: #2a6ad8; border-radius: 3px; }
          #error { color: #b00020; }
        </style>
        </head>
        <body>
        <h1>confit serve</h1>
        <p class="muted" id="summary">loading tasks…</p>
        <label>Task <select id="task"></select></label>
        <div id="drop">Drop an image here, or click to choose one (JPEG or PNG)
          <input id="file" type="file" accept="image/jpeg,image/png" hidden></div>
        <img id="preview" alt="">
        <p id="error"></p>
        <table id="result"></table>
        <script>
        const $ = (id) => document.getElementById(id);
        async function loadTasks() {
          const answer = await fetch("/v1/tasks").then((r) => r.json());
          $("task").innerHTML = "";
          for (const t of answer.tasks) {
            const option = document.createElement("option");
            option.value = t.name;
            option.textContent = `${t.name} — ${t.method}, ${t.classes.length} classes`;
            $("task").appendChild(option);
          }
          $("summary").textContent = `${answer.tasks.length} tasks on one backbone`;
        }
        async function classify(file) {
          $("error").textContent = "";
          $("result").innerHTML = "";
          $("preview").src = URL.createObjectURL(file);
          $("preview").style.display = "block";
          const task = encodeURIComponent($("task").value);
          const response = await fetch(`/v1/tasks/${task}/predict?top=5`, {
            method: "POST", headers: { "Content-Type": file.type || "application/octet-stream" }, body: file,
          });
          const answer = await response.json();
          if (!response.ok) { $("error").textContent = answer.error; return; }
          for (const p of answer.predictions[0].top) {
            const row = $("result").insertRow();
            row.insertCell().textContent = p.class;
            const bar = row.insertCell();
            bar.className = "b";
            bar.innerHTML = `<div class="bar" style="width:${(100 * p.probability).toFixed(1)}%"></div>`;
            const cell = row.insertCell();
            cell.className = "p";
            cell.textContent = p.probability.toFixed(4);
          }
        }
        const drop = $("drop");
        drop.addEventListener("click", () => $("file").click());
        $("file").addEventListener("change", (e) => e.target.files[0] && classify(e.target.files[0]));
        drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
        drop.addEventListener("dragleave", () => drop.classList.remove("over"));
        drop.addEventListener("drop", (e) => {
          e.preventDefault();
          drop.classList.remove("over");
          if (e.dataTransfer.files[0]) classify(e.dataTransfer.files[0]);
        });
        loadTasks().catch((e) => { $("error").textContent = String(e); });
        </script>
        </body>
        </html>
        """
}
