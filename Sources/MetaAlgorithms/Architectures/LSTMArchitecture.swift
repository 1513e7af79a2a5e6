import MetaNN

/// The plain LSTM baseline of Santoro et al. (2016) (``LSTMSequenceModel``): an LSTM of
/// `units` (200) and a linear read-out, with no external memory; sized for the tasks' steps
/// and classes.
public struct LSTMArchitecture: SequenceArchitecture {
    public var units: Int, inputs: Int, classes: Int

    public init(units: Int = 200, inputs: Int, classes: Int) { self.units = units; self.inputs = inputs; self.classes = classes }

    public static let name = "lstm"
    public var model: any Model { LSTMSequenceModel(inputs: inputs, classes: classes, units: units) }
}

extension RunConfiguration.Architecture {
    /// The LSTM baseline for sequence tasks of `inputs`-wide steps and `classes` classes.
    public static func lstm(units: Int = 200, inputs: Int, classes: Int) -> Self {
        Self(LSTMArchitecture(units: units, inputs: inputs, classes: classes))
    }
}
