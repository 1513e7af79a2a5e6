import MetaNN

/// The memory-augmented network of Santoro et al. (2016) (``MANNModel``): an LSTM controller
/// of `units` (200 in the paper) reading and writing a memory of 128 slots × 40 with four
/// read heads and least-recently-used access; sized for the tasks' steps and classes.
public struct MANNArchitecture: SequenceArchitecture {
    public var units: Int, inputs: Int, classes: Int

    public init(units: Int = 200, inputs: Int, classes: Int) { self.units = units; self.inputs = inputs; self.classes = classes }

    public static let name = "mann"
    public var model: any Model { MANNModel(inputs: inputs, classes: classes, controllerUnits: units) }
}

extension RunConfiguration.Architecture {
    /// The MANN for sequence tasks of `inputs`-wide steps and `classes` classes.
    public static func mann(units: Int = 200, inputs: Int, classes: Int) -> Self {
        Self(MANNArchitecture(units: units, inputs: inputs, classes: classes))
    }
}
