/// Plain fine-tuning (`finetune`): one shared network, every parameter in every epoch,
/// nothing stored per task — the lower bound every method is measured against. All of
/// `ContinualStrategy`'s defaults, nothing more.
public final class FineTuningStrategy: ContinualStrategy {
    public let name = "finetune"
    public init() {}
}
