/// The running totals of an epoch stopped part-way (Ctrl-C), kept in its checkpoint so
/// that the resumed epoch reports the same mean loss and a fair images/s as an
/// uninterrupted one.
struct EpochProgress: Codable, Equatable {
    var lossSum = 0.0
    var images = 0
    var batches = 0
    /// Training seconds spent in the epoch before the stop.
    var seconds = 0.0
}
