extension Tensor {
    /// Per-channel means of an [N, C, H, W] tensor over N, H and W, in any layout and element
    /// type (summed in float32 and Double either way).
    ///
    /// With `byParity`, four means per channel instead, one per parity phase of the
    /// spatial grid, ordered (even row, even col), (even, odd), (odd, even), (odd, odd):
    /// what a stride-2 convolution sees of its input (ConFiT's pre-convolution tracker).
    /// Each (n, h) row is summed in Float and rows are added in Double; the images are
    /// split over oneDNN's OpenMP threads, each with its own sums, added at the end.
    public func channelMeans(byParity: Bool) throws -> [[Double]] {
        guard shape.count == 4 else {
            throw EngineError.invalidArgument(operation: "channelMeans", reason: "needs [N, C, H, W], got \(shape)")
        }
        let (n, c, h, w) = (shape[0], shape[1], shape[2], shape[3])
        let phases = byParity ? 4 : 1, width = phases * c
        let threads = Engine.shared.threads
        // Per thread: `width` Double sums, then `width` Float row sums.
        let sums = UnsafeMutableBufferPointer<Double>.allocate(capacity: threads * width)
        let rows = UnsafeMutableBufferPointer<Float>.allocate(capacity: threads * width)
        defer {
            sums.deallocate()
            rows.deallocate()
        }
        sums.initialize(repeating: 0)
        // Channels per contiguous group, and the distance between neighbouring channels.
        let (channelStride, blockChannels): (Int, Int) =
            switch format {
            case .channelsLast: (1, c)
            case .blocked16: (1, 16)
            default: (h * w, c)
            }
        let blocks = (c + blockChannels - 1) / blockChannels
        func accumulate<E: ActivationElement>(_ elements: UnsafePointer<E>) {
            ThreadTeam.run { thread, team in
                guard thread < threads else { return }
                let (total, acc) = (sums.baseAddress! + thread * width, rows.baseAddress! + thread * width)
                for image in stride(from: thread, to: n, by: min(team, threads)) {
                    for y in 0..<h {
                        acc.update(repeating: 0, count: width)
                        for block in 0..<blocks {
                            let first = block * blockChannels, count = min(blockChannels, c - first)
                            for x in 0..<w {
                                let target = (byParity ? (y % 2) * 2 + x % 2 : 0) * c + first
                                let base: Int =
                                    switch format {
                                    case .channelsLast: ((image * h + y) * w + x) * c
                                    case .blocked16: (((image * blocks + block) * h + y) * w + x) * 16
                                    default: ((image * c + first) * h + y) * w + x
                                    }
                                // Raw pointers: no bounds checks, so the contiguous case vectorizes.
                                let (sum, source) = (acc + target, elements + base)
                                if channelStride == 1 {
                                    var k = 0
                                    while k + 16 <= count {
                                        let row = UnsafeMutableRawPointer(sum + k)
                                        row.storeBytes(
                                            of: row.loadUnaligned(as: SIMD16<Float>.self) + E.widen16(source + k),
                                            as: SIMD16<Float>.self)
                                        k += 16
                                    }
                                    for k in k..<count { sum[k] += source[k].float }
                                } else {
                                    for k in 0..<count { sum[k] += source[k * channelStride].float }
                                }
                            }
                        }
                        for i in 0..<width { total[i] += Double(acc[i]) }
                    }
                }
            }
        }
        switch dataType {
        case .float32: accumulate(UnsafePointer(pointer))
        case .bfloat16: accumulate(UnsafePointer(bfloat16Pointer))
        }
        return (0..<phases).map { phase in
            let rows = byParity ? (phase / 2 == 0 ? (h + 1) / 2 : h / 2) : h
            let cols = byParity ? (phase % 2 == 0 ? (w + 1) / 2 : w / 2) : w
            // A phase with no positions (a 1-pixel-wide input) has mean 0, not 0/0: it is
            // never read back, but a NaN would poison every later running-mean update.
            let count = Double(max(1, n * rows * cols))
            return (0..<c).map { channel in
                (0..<threads).reduce(0.0) { $0 + sums[$1 * width + phase * c + channel] } / count
            }
        }
    }

    /// Overwrites a plain tensor with `values` in row-major order.
    public func load(_ values: [Float]) throws {
        guard format == .plain, values.count == count else {
            throw EngineError.shapeMismatch(operation: "Tensor.load (plain)", expected: shape, found: [values.count])
        }
        values.withUnsafeBufferPointer { pointer.update(from: $0.baseAddress!, count: count) }
    }
}
