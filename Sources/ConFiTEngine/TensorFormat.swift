import CDNNL

/// How a tensor's elements are laid out in memory.
///
/// Activations of 4-D tensors can live in any of the three layouts; which one a network
/// uses is one of its settings, measured rather than assumed (see the README).
/// Parameters and everything users read are `plain`.
public enum TensorFormat: String, Sendable, Hashable, CaseIterable {
    /// Row-major over the logical dimensions (NCHW for images, OIHW for conv weights).
    case plain
    /// NHWC: channels innermost.
    case channelsLast = "nhwc"
    /// oneDNN's nChw16c: channels in blocks of 16 (zero-padded), each block NHW16c.
    case blocked16 = "nChw16c"
    /// Whatever layout a oneDNN primitive chose (used for reordered weights only).
    case native

    /// oneDNN's format tag for `rank` dimensions.
    func tag(rank: Int) -> dnnl_format_tag_t {
        switch (self, rank) {
        case (.native, _): dnnl_format_tag_any
        case (.channelsLast, 4): dnnl_nhwc
        case (.channelsLast, 5): dnnl_ndhwc
        case (.blocked16, 4): dnnl_nChw16c
        case (_, 1): dnnl_a
        case (_, 2): dnnl_ab
        case (_, 3): dnnl_abc
        case (_, 4): dnnl_abcd
        case (_, 5): dnnl_abcde
        default: dnnl_format_tag_any
        }
    }
}
