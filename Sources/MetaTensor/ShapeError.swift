/// A shape mismatch: names the operation and every shape involved.
///
/// Tensor operations check their shapes up front. The throwing checks (``Shape``) return this
/// error; the operations themselves stop the process with its ``description`` (a precondition),
/// since a wrong shape is a programming error that must never yield a silent wrong result.
public struct ShapeError: Error, CustomStringConvertible, Equatable, Sendable {
    public let op: String
    public let shapes: [[Int]]
    public let reason: String

    public init(op: String, shapes: [[Int]], reason: String) {
        self.op = op; self.shapes = shapes; self.reason = reason
    }

    public var description: String {
        "shape error in \(op): \(shapes.map { "\($0)" }.joined(separator: " vs ")): \(reason)"
    }
}

/// Shape arithmetic shared by the tensor operations; every function throws ``ShapeError``.
public enum Shape {
    /// NumPy-style broadcast of two shapes (trailing dimensions aligned; a 1 stretches).
    public static func broadcast(_ a: [Int], _ b: [Int], op: @autoclosure () -> String) throws -> [Int] {
        if a == b { return a }
        let rank = max(a.count, b.count)
        var out = [Int](repeating: 1, count: rank)
        for i in 0..<rank {
            let da = i < rank - a.count ? 1 : a[i - (rank - a.count)]
            let db = i < rank - b.count ? 1 : b[i - (rank - b.count)]
            if da == db || db == 1 { out[i] = da } else if da == 1 { out[i] = db } else {
                throw ShapeError(op: op(), shapes: [a, b], reason: "dimension \(i) differs (\(da) vs \(db)) and neither is 1")
            }
        }
        return out
    }

    /// Strides that read a dense tensor of `shape` as if broadcast to `target` (0 on stretched axes).
    public static func broadcastStrides(_ shape: [Int], to target: [Int], op: @autoclosure () -> String) throws -> [Int] {
        guard shape.count <= target.count else {
            throw ShapeError(op: op(), shapes: [shape, target], reason: "cannot broadcast to a lower rank")
        }
        let dense = denseStrides(shape)
        let offset = target.count - shape.count
        var strides = [Int](repeating: 0, count: target.count)
        for i in 0..<shape.count {
            if shape[i] == target[i + offset] { strides[i + offset] = shape[i] == 1 ? 0 : dense[i] }
            else if shape[i] != 1 {
                throw ShapeError(op: op(), shapes: [shape, target], reason: "dimension \(i) is neither equal nor 1")
            }
        }
        return strides
    }

    /// The element count of `shape` after checking that no dimension is negative.
    public static func count(_ shape: [Int], op: @autoclosure () -> String) throws -> Int {
        guard shape.allSatisfy({ $0 >= 0 }) else {
            throw ShapeError(op: op(), shapes: [shape], reason: "negative dimension")
        }
        return shape.reduce(1, *)
    }

    /// Checks that `axis` is valid for `rank` and resolves a negative axis.
    public static func axis(_ axis: Int, rank: Int, shape: [Int], op: @autoclosure () -> String) throws -> Int {
        let a = axis < 0 ? axis + rank : axis
        guard a >= 0 && a < rank else {
            throw ShapeError(op: op(), shapes: [shape], reason: "axis \(axis) out of range for rank \(rank)")
        }
        return a
    }
}

/// Runs a throwing shape check and stops with the error's message if it fails.
/// (`fatalError`, not `preconditionFailure`: in optimised builds the latter drops its message.)
@inlinable
public func checked<T>(_ body: () throws -> T) -> T {
    do { return try body() } catch { fatalError("\(error)") }
}

/// Stops the process with `message` unless `condition` holds: the contract check used
/// throughout metatrain. Unlike `precondition`, whose message optimised builds drop, the
/// message is printed in every build configuration, so a user sees which shapes disagreed.
@inlinable
public func require(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String,
                    file: StaticString = #fileID, line: UInt = #line) {
    if !condition() { fatalError(message(), file: file, line: line) }
}
