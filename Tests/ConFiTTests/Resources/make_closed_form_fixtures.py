"""Reference values for the closed-form heads of simplecil, ranpac and fsa, in float64 NumPy,
written the way the official code computes them (LAMDA-PILOT's SimpleCIL, RanPAC.py's
replace_fc/optimise_ridge_parameter, aresPanos/fsa's compute_lda_head).

Regenerate with: python3 make_closed_form_fixtures.py  (needs numpy only).

Two tasks of features: task 0 holds classes 2 and 0, task 1 classes 1 and 3 (rows already
in the order the 80/20 split takes them), dimension D = 6, 20 rows per task.
  features/task<t>  [20, 6] float32     labels/task<t>  [20] int64 (dataset class ids)
  query             [5, 6] float32      features to score
SimpleCIL (after both tasks):
  simplecil/prototypes [4, 6]           class means (rows by class id)
  simplecil/logits     [5, 4]           cosine(normalize(query), normalize(prototype))
RanPAC with the projection W [6, 8] given here (M = 8 < 16 fitted rows, so the primal solve
of the official code is well-posed and equals the dual form the Swift code uses):
  ranpac/projection     [6, 8]
  ranpac/losses/task<t> [17]            mean squared error of each λ in 10^-8..10^8 on the last 20 %
  ranpac/ridge/task<t>  []              the chosen λ
  ranpac/weights/task<t> [4, 8]         Wo = (G + λI)^-1 Q after task t, G, Q over tasks 0..t
  ranpac/logits         [5, 4]          relu(query W) Wo^T after task 1
FSA (LDA) after task 0 and after both tasks:
  fsa/weights/task<t> [classes seen, 6], fsa/bias/task<t> [classes seen]   rows in the order
  classes were seen (2, 0, then 1, 3); logits = f·weights^T + bias
"""
import json, os, struct
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(7)
D, M, N, C = 6, 8, 20, 4
tasks = [[2, 0], [1, 3]]
centres = rng.normal(0, 2, size=(C, D))
features, labels = [], []
for t, classes in enumerate(tasks):
    y = np.array([classes[i % 2] for i in range(N)])
    x = np.maximum(centres[y] + rng.normal(0, 1, size=(N, D)), 0).astype(np.float32)
    features.append(x); labels.append(y)
query = np.maximum(rng.normal(0, 2, size=(5, D)), 0).astype(np.float32)
out = {"query": query}
for t in range(2):
    out[f"features/task{t}"] = features[t]
    out[f"labels/task{t}"] = labels[t].astype(np.int64)

# SimpleCIL
f64 = [f.astype(np.float64) for f in features]
protos = np.zeros((C, D))
for t in range(2):
    for c in tasks[t]:
        protos[c] = f64[t][labels[t] == c].mean(0)
normalize = lambda v: v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)
out["simplecil/prototypes"] = protos.astype(np.float32)
out["simplecil/logits"] = (normalize(query.astype(np.float64)) @ normalize(protos).T).astype(np.float32)

# RanPAC
W = rng.normal(0, 1, size=(D, M)).astype(np.float32)
out["ranpac/projection"] = W
G, Q = np.zeros((M, M)), np.zeros((M, C))
ridges = 10.0 ** np.arange(-8, 9)
for t in range(2):
    H = np.maximum(f64[t] @ W.astype(np.float64), 0)
    Y = np.eye(C)[labels[t]]
    n_fit = int(N * 0.8)
    Gv, Qv = H[:n_fit].T @ H[:n_fit], H[:n_fit].T @ Y[:n_fit]
    losses = []
    for r in ridges:
        Wo = np.linalg.solve(Gv + r * np.eye(M), Qv).T
        # the task's own columns: the other columns are zero in fit and target alike
        pred, target = (H[n_fit:] @ Wo.T)[:, tasks[t]], Y[n_fit:][:, tasks[t]]
        losses.append(((pred - target) ** 2).mean())
    ridge = ridges[int(np.argmin(losses))]
    G += H.T @ H; Q += H.T @ Y
    Wo = np.linalg.solve(G + ridge * np.eye(M), Q).T
    out[f"ranpac/losses/task{t}"] = np.array(losses)
    out[f"ranpac/ridge/task{t}"] = np.array(ridge)
    out[f"ranpac/weights/task{t}"] = Wo.astype(np.float32)
out["ranpac/logits"] = (np.maximum(query.astype(np.float64) @ W.astype(np.float64), 0) @ Wo.T).astype(np.float32)

# FSA
for t in range(2):
    X = np.concatenate(f64[:t + 1]); y = np.concatenate(labels[:t + 1])
    cov = np.cov(X.T, ddof=1) + np.eye(D)
    seen = [c for s in tasks[:t + 1] for c in s]
    means = np.stack([X[y == c].mean(0) for c in seen]).T        # [D, classes]
    coeff = np.linalg.solve(cov, means)
    out[f"fsa/weights/task{t}"] = coeff.T.astype(np.float32)
    out[f"fsa/bias/task{t}"] = (-0.5 * (coeff * means).sum(0)).astype(np.float32)

def save(tensors, path):
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        a = np.ascontiguousarray(tensors[name])
        dtype = {np.float32: "F32", np.float64: "F64", np.int64: "I64"}[a.dtype.type]
        data = a.tobytes()
        header[name] = {"dtype": dtype, "shape": list(a.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data); offset += len(data)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text))); f.write(text); f.write(b"".join(blobs))

save(out, os.path.join(HERE, "closed_form_fixtures.safetensors"))
print({k: out[k] for k in out if k.startswith("ranpac/ridge")})
