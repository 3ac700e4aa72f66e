// Any bytes as a run's checkpoint: parsed, checksummed, its position read.
import ConFiT
import FuzzSupport

fuzz { bytes in
    if let url = temporaryFile(bytes, suffix: ".safetensors") { _ = try? TrainingCheckpoint(contentsOf: url) }
}
