/// A model that reads a whole sequence `[T, inputs]` in order and classifies every step
/// (`apply` gives logits `[T, classes]`): the models of sequence learners such as MANN.
public protocol SequenceModel: Model {
    /// The number of classes each step is classified into.
    var classes: Int { get }
}

extension MANNModel: SequenceModel {}
extension LSTMSequenceModel: SequenceModel {}
