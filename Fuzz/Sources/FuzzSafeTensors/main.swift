// Any bytes as a safetensors file: parsed and validated, or refused with a typed error.
import ConFiTIO
import FuzzSupport

fuzz { bytes in _ = try? SafeTensorsFile(bytes: bytes, path: "input") }
