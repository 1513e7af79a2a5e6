import MetaNN

/// The plain LSTM baseline of Santoro et al. (2016) (``LSTMSequenceModel``): an LSTM of
/// `units` (200) and a linear read-out, with no external memory; sized for the tasks' steps
/// and classes.
public struct LSTMArchitecture: ArchitectureSpec {
    public var units: Int, inputs: Int, classes: Int

    public init(units: Int = 200, inputs: Int, classes: Int) { self.units = units; self.inputs = inputs; self.classes = classes }

    public static let name = "lstm"
    public static let keys = ["units"]

    public static func read(_ section: any ConfigSection, over base: RunConfiguration.Architecture?,
                            tasks: RunConfiguration.Family) throws -> LSTMArchitecture {
        LSTMArchitecture(units: try section.integer("units", in: TaskLimits.hiddenWidth) ?? base?.as(Self.self)?.units ?? 200,
                         inputs: tasks.spec.stepWidth ?? 1, classes: tasks.spec.classes ?? 1)
    }

    public var entries: [(key: String, value: ConfigValue)] { [("units", .integer(units))] }
    public func fitted(to tasks: RunConfiguration.Family) -> LSTMArchitecture {
        LSTMArchitecture(units: units, inputs: tasks.spec.stepWidth ?? 1, classes: tasks.spec.classes ?? 1)
    }
    public var model: any Model { LSTMSequenceModel(inputs: inputs, classes: classes, units: units) }
    public func accepts(_ tasks: RunConfiguration.Family) -> Bool { tasks.spec.shape == .sequence }
    public var headClasses: Int? { classes }
}

extension RunConfiguration.Architecture {
    /// The LSTM baseline for sequence tasks of `inputs`-wide steps and `classes` classes.
    public static func lstm(units: Int = 200, inputs: Int, classes: Int) -> Self {
        Self(LSTMArchitecture(units: units, inputs: inputs, classes: classes))
    }
}
