import Foundation

/// A search directory's `candidates.jsonl` (written by `metatrain search`), read without a
/// schema: per method, each candidate's fitness in index order, the best so far, and the
/// fittest candidate's genome. Malformed lines are skipped and counted; for a candidate a
/// resumed search repeated, the last line wins.
public struct SearchReport: Sendable {
    /// One candidate's line.
    public struct Candidate: Sendable, Equatable {
        public var method: String
        public var index: Int
        public var fitness: Double
        public var seconds: Double?
        /// The genome's keys and values, as the line has them (numbers and strings printed).
        public var genome: [(key: String, value: String)]

        public static func == (a: Candidate, b: Candidate) -> Bool {
            a.method == b.method && a.index == b.index && a.fitness == b.fitness && a.seconds == b.seconds
                && a.genome.map(\.key) == b.genome.map(\.key) && a.genome.map(\.value) == b.genome.map(\.value)
        }
    }

    /// Candidates by method (in the file's order of first appearance), each in index order.
    public private(set) var methods: [(name: String, candidates: [Candidate])] = []
    public private(set) var skippedLines = 0
    /// `search.yaml`'s text, when the directory has it.
    public var config: String?

    public init(candidates text: String, config: String? = nil) {
        self.config = config
        var byMethod: [String: [Int: Candidate]] = [:], order: [String] = []
        for line in text.split(whereSeparator: \.isNewline) where !line.allSatisfy(\.isWhitespace) {
            guard let o = JSONValue.parseObject(String(line)), let method = o["method"]?.string, let index = o["index"]?.int,
                  let fitness = o["fitness"]?.double, case .object(let g)? = o["genome"] else {
                skippedLines += 1
                continue
            }
            let genome = g.keys.sorted().map { k -> (key: String, value: String) in
                switch g[k]! {
                case .string(let s): return (k, s)
                case .number(let x): return (k, x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : String(x))
                default: return (k, "?")
                }
            }
            if byMethod[method] == nil { order.append(method) }
            byMethod[method, default: [:]][index] = Candidate(method: method, index: index, fitness: fitness,
                                                               seconds: o["seconds"]?.double, genome: genome)
        }
        methods = order.map { m in (m, byMethod[m]!.keys.sorted().map { byMethod[m]![$0]! }) }
    }

    /// The best fitness after each candidate of `candidates` (in index order).
    public static func bestSoFar(_ candidates: [Candidate]) -> [Double] {
        var best = -Double.infinity
        return candidates.map { best = max(best, $0.fitness); return best }
    }

    /// The fittest candidate of all methods (the first among equals, methods in order).
    public var best: Candidate? {
        methods.flatMap(\.candidates).reduce(nil) { b, c in b.map { c.fitness > $0.fitness ? c : $0 } ?? c }
    }
}
