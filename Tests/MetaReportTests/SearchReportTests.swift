import Testing
import MetaReport

/// A search directory's `candidates.jsonl` read and drawn: per-method histories, the best so
/// far, the fittest genome, malformed and repeated lines.
@Suite struct SearchReportTests {
    static func line(_ method: String, _ index: Int, _ fitness: Double, blocks: Int = 3) -> String {
        #"{"ci95":0.01,"fitness":\#(fitness),"genome":{"blocks":\#(blocks),"learner":"anil","innerLearningRate":0.25},"index":\#(index),"method":"\#(method)","parameters":100,"seconds":1.5}"#
    }

    static let text = [
        line("evolution", 0, 0.4), line("random", 0, 0.4), line("evolution", 1, 0.7, blocks: 5), line("random", 1, 0.5),
        "{not json", line("evolution", 2, 0.6), line("random", 2, 0.55), line("random", 2, 0.65),
    ].joined(separator: "\n")

    @Test func candidatesAreGroupedByMethodInIndexOrderWithTheLastRepeatWinning() {
        let r = SearchReport(candidates: Self.text)
        #expect(r.skippedLines == 1)
        #expect(r.methods.map(\.name) == ["evolution", "random"])
        #expect(r.methods[0].candidates.map(\.fitness) == [0.4, 0.7, 0.6])
        #expect(r.methods[1].candidates.map(\.fitness) == [0.4, 0.5, 0.65])
        #expect(SearchReport.bestSoFar(r.methods[0].candidates) == [0.4, 0.7, 0.7])
    }

    @Test func theBestGenomeIsTheFittestCandidatesWithItsValues() throws {
        let best = try #require(SearchReport(candidates: Self.text).best)
        #expect(best.method == "evolution" && best.index == 1)
        #expect(best.genome.map(\.key) == ["blocks", "innerLearningRate", "learner"])
        #expect(best.genome.map(\.value) == ["5", "0.25", "anil"])
    }

    @Test func thePageDrawsEachMethodsCandidatesAndBestSoFarAndNamesTheBestGenome() {
        let page = SearchReportPage(report: SearchReport(candidates: Self.text, config: "name: s\n"), directory: "/runs/search-s")
        let svg = page.chart.render()
        for key in ["evolution_fitness", "evolution_best", "random_fitness", "random_best"] { #expect(svg.contains(key), "\(key)") }
        #expect(page.chart.series[1].points.map(\.y) == [40, 70, 70])
        let html = page.html
        #expect(html.contains("evolution candidate 1, validation accuracy 70.00 %"))
        #expect(html.contains("<tr><th>blocks</th><td>5</td></tr>"))
        #expect(html.contains("1 malformed line of candidates.jsonl skipped"))
    }
}
