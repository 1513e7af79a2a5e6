import MetaTensor
import MetaAutodiff

/// The names of a parameter set, in their fixed order, with a name → position index.
/// Shared (immutable) by every ``Parameters`` value derived from the same model.
public final class ParameterLayout: Sendable, Equatable {
    public let names: [String]
    let index: [String: Int]

    public init(names: [String]) {
        require(Set(names).count == names.count, "parameter names must be unique: \(names)")
        self.names = names
        index = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, $0) })
    }

    public static func == (a: ParameterLayout, b: ParameterLayout) -> Bool { a === b || a.names == b.names }
}

/// An ordered, named collection of values: a model's parameters (`Parameters<Tensor<S>>`),
/// their differentiable versions inside a step (`Parameters<Variable<S>>`), gradients,
/// optimizer moments.
///
/// Names are dot-separated paths (`block1.conv.weight`), which form the tree; the order is
/// fixed by the model and is the order of every encoding, reduction and update, so results
/// never depend on dictionary order. Values, not references: functions return new sets.
public struct Parameters<Value> {
    public let layout: ParameterLayout
    public var values: [Value]

    @inlinable
    public init(layout: ParameterLayout, values: [Value]) {
        require(layout.names.count == values.count,
                     "parameters: \(layout.names.count) names but \(values.count) values")
        self.layout = layout; self.values = values
    }

    /// Builds from (name, value) pairs in order.
    public init(_ entries: [(String, Value)]) {
        self.init(layout: ParameterLayout(names: entries.map(\.0)), values: entries.map(\.1))
    }

    public var names: [String] { layout.names }
    public var count: Int { values.count }

    /// The value named `name`; stops with the missing name and the names present.
    public subscript(name: String) -> Value {
        get {
            guard let i = layout.index[name] else {
                fatalError("no parameter named '\(name)'; have \(layout.names)")
            }
            return values[i]
        }
        set {
            guard let i = layout.index[name] else {
                fatalError("no parameter named '\(name)'; have \(layout.names)")
            }
            values[i] = newValue
        }
    }

    /// Whether a value named `name` exists.
    public func contains(_ name: String) -> Bool { layout.index[name] != nil }

    /// The same names with transformed values.
    @inlinable
    public func map<T>(_ transform: (Value) throws -> T) rethrows -> Parameters<T> {
        Parameters<T>(layout: layout, values: try values.map(transform))
    }

    /// The same names with transformed (name, value) pairs.
    public func mapWithNames<T>(_ transform: (String, Value) throws -> T) rethrows -> Parameters<T> {
        Parameters<T>(layout: layout, values: try Swift.zip(layout.names, values).map(transform))
    }

    /// Combines two sets with the same names, position by position.
    @inlinable
    public func zip<Other, T>(_ other: Parameters<Other>, _ combine: (Value, Other) throws -> T) rethrows -> Parameters<T> {
        require(layout == other.layout, "parameters: name sets differ: \(layout.names) vs \(other.layout.names)")
        return Parameters<T>(layout: layout, values: try Swift.zip(values, other.values).map(combine))
    }

    /// The entries whose name starts with `prefix.` (a subtree), names kept whole.
    public func subtree(_ prefix: String) -> [(String, Value)] {
        Swift.zip(layout.names, values).filter { $0.0.hasPrefix(prefix + ".") }.map { ($0.0, $0.1) }
    }
}

extension Parameters where Value: TensorProtocol {
    /// The total number of scalars.
    public var scalarCount: Int { values.reduce(0) { $0 + $1.count } }
}

/// What ``Parameters`` needs of a tensor-like value.
public protocol TensorProtocol { var count: Int { get }; var shape: [Int] { get } }
extension Tensor: TensorProtocol {}
extension Variable: TensorProtocol {}

extension Parameters: Sendable where Value: Sendable {}

extension Parameters: Equatable where Value: Equatable {
    public static func == (a: Parameters, b: Parameters) -> Bool { a.layout == b.layout && a.values == b.values }
}
