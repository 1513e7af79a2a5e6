import MetaNN

/// What the sequence architectures (``MANNArchitecture``, ``LSTMArchitecture``) share: a
/// recurrent core of `units` read by every step, sized by the tasks (the step's width and the
/// classes), the one key `units`, and only sequence tasks accepted.
public protocol SequenceArchitecture: ArchitectureSpec {
    var units: Int { get }
    var inputs: Int { get }
    var classes: Int { get }
    init(units: Int, inputs: Int, classes: Int)
}

extension SequenceArchitecture {
    public static var keys: [String] { ["units"] }

    public static func read(_ section: any ConfigSection, over base: RunConfiguration.Architecture?,
                            tasks: RunConfiguration.Family) throws -> Self {
        Self(units: try section.integer("units", in: TaskLimits.hiddenWidth) ?? base?.as(Self.self)?.units ?? 200,
             inputs: tasks.spec.stepWidth ?? 1, classes: tasks.spec.classes ?? 1)
    }

    public var entries: [(key: String, value: ConfigValue)] { [("units", .integer(units))] }
    public func fitted(to tasks: RunConfiguration.Family) -> Self {
        Self(units: units, inputs: tasks.spec.stepWidth ?? 1, classes: tasks.spec.classes ?? 1)
    }
    public func accepts(_ tasks: RunConfiguration.Family) -> Bool { tasks.spec.shape == .sequence }
    public var headClasses: Int? { classes }
}
