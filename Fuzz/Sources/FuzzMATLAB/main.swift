// Any bytes as a MATLAB level-5 .mat file (Caltech's annotations, Flowers' labels).
import ConFiTData
import FuzzSupport

fuzz { bytes in _ = try? MATLABFile(bytes: bytes, path: "input") }
