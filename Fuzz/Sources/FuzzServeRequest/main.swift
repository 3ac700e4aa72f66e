// A prediction request's body as `confit serve` parses it: the input's first line is the
// Content-Type header, the rest the body (one image, or multipart/form-data); every part
// found is then decoded (with the server's pixel limit) and preprocessed.
import ConFiT
import ConFiTData
import ConFiTNN
import ConFiTServe
import FuzzSupport

fuzz { bytes in
    let newline = bytes.firstIndex(of: 0x0A) ?? bytes.endIndex
    let contentType = String(decoding: bytes[..<newline], as: UTF8.self)
    let body = Array(bytes[min(newline + 1, bytes.endIndex)...])
    guard let parts = try? ImageUpload.parts(of: body, contentType: contentType.isEmpty ? nil : contentType) else {
        return
    }
    for part in parts {
        _ = try? SharedBackbone.pixels(
            of: part.bytes, name: part.name, transform: EvalTransform(resizeShortSide: 36, cropSize: 32),
            normalization: .imageNet, maxPixels: 4_000_000)
    }
}
