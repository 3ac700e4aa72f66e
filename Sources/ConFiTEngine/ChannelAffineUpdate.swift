extension Tensor {
    /// `self += shift[c] + scale[c] · x` element by element, channel c of each, for two
    /// [N, C, H, W] tensors of one shape and layout: the correction that turns a batch
    /// norm's input gradient with its statistics held constant into the gradient through
    /// statistics shared across processes (`BatchNorm2d` over a `ProcessGroup`).
    /// Images are split over oneDNN's OpenMP threads; bfloat16 elements are computed in
    /// float32 and rounded once.
    public func addChannelAffine(of x: Tensor, scale: [Float], shift: [Float]) throws {
        guard shape.count == 4, x.shape == shape, x.format == format, scale.count == shape[1], shift.count == shape[1]
        else {
            throw EngineError.shapeMismatch(
                operation: "addChannelAffine (\(format.rawValue) and \(x.format.rawValue))",
                expected: shape, found: x.shape)
        }
        let (n, c, h, w) = (shape[0], shape[1], shape[2], shape[3])
        let (channelStride, blockChannels): (Int, Int) =
            switch format {
            case .channelsLast: (1, c)
            case .blocked16: (1, 16)
            default: (h * w, c)
            }
        let blocks = (c + blockChannels - 1) / blockChannels
        let threads = Engine.shared.threads
        guard x.dataType == dataType else {
            throw EngineError.dataTypeMismatch(operation: "addChannelAffine", expected: dataType, found: x.dataType)
        }
        func update<E: ActivationElement>(_ target: UnsafeMutablePointer<E>, _ source: UnsafePointer<E>) {
            scale.withUnsafeBufferPointer { scale in
                shift.withUnsafeBufferPointer { shift in
                    let (a, b) = (scale.baseAddress!, shift.baseAddress!)
                    ThreadTeam.run { thread, team in
                        guard thread < threads else { return }
                        for image in stride(from: thread, to: n, by: min(team, threads)) {
                            for block in 0..<blocks {
                                let first = block * blockChannels, count = min(blockChannels, c - first)
                                for position in 0..<(h * w) {
                                    let base: Int =
                                        switch format {
                                        case .channelsLast: (image * h * w + position) * c
                                        case .blocked16: ((image * blocks + block) * h * w + position) * 16
                                        default: (image * c + first) * h * w + position
                                        }
                                    let (out, input) = (target + base, source + base)
                                    for k in 0..<count {
                                        let change = b[first + k] + a[first + k] * input[k * channelStride].float
                                        out[k * channelStride] = E(out[k * channelStride].float + change)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        switch dataType {
        case .float32: update(pointer, UnsafePointer(x.pointer))
        case .bfloat16: update(bfloat16Pointer, UnsafePointer(x.bfloat16Pointer))
        }
    }
}
