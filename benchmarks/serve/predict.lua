-- wrk -s benchmarks/serve/predict.lua URL -- IMAGE TASKS
-- POSTs IMAGE to /v1/tasks/t<k>/predict, k going round tasks 0 ... TASKS-1 on each thread.
local image, tasks, counter

function init(args)
  local file = assert(io.open(args[1], "rb"))
  image = file:read("*all")
  file:close()
  tasks = tonumber(args[2])
  counter = 0
end

function request()
  local task = counter % tasks
  counter = counter + 1
  return wrk.format("POST", "/v1/tasks/t" .. task .. "/predict?top=5", { ["Content-Type"] = "image/jpeg" }, image)
end
