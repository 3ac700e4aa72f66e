// Any bytes as an image file, through our libjpeg-turbo and libpng wrappers (the format
// is chosen by the bytes' signature, as for a dataset's files), then the eval transform.
import ConFiTData
import FuzzSupport

let decoder = try ImageDecoder()

fuzz { bytes in
    guard let image = try? decoder.decode(bytes, path: "input") else { return }
    _ = EvalTransform(resizeShortSide: 36, cropSize: 32).apply(image)
}
