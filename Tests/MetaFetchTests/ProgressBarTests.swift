import Testing
import MetaFetch

@Suite struct ProgressBarTests {
    @Test func aLineShowsTheBarBytesPercentRateAndTimeLeft() {
        let bar = ProgressBar(label: "images_background.zip", width: 10)
        let line = bar.line(received: 4_200_000, total: 8_400_000, sessionBytes: 2_000_000, elapsed: 1)
        #expect(line == "images_background.zip [#####.....]  4.20 MB / 8.40 MB  50%  2.00 MB/s  ETA 3s")
    }

    @Test func theRateCountsOnlyThisSessionsBytesAndAFinishedLineSaysDone() {
        let bar = ProgressBar(label: "f", width: 4)
        #expect(bar.line(received: 1000, total: 1000, sessionBytes: 500, elapsed: 2) == "f [####]  1.00 kB / 1.00 kB  100%  250 B/s  done")
        #expect(bar.line(received: 10, total: 1000, sessionBytes: 0, elapsed: 0) == "f [....]  10 B / 1.00 kB  1%  0 B/s  ETA --")
    }

    @Test func withoutATotalOnlyBytesAndRateAreShown() {
        #expect(ProgressBar(label: "f").line(received: 123_456, total: nil, sessionBytes: 123_456, elapsed: 2) == "f  123 kB  61.7 kB/s")
    }

    @Test(arguments: [(0, "0 B"), (999, "999 B"), (1_000, "1.00 kB"), (12_345, "12.3 kB"), (999_499, "999 kB"), (999_600, "1.00 MB"),
                      (8_394_302, "8.39 MB"), (1_200_000_000, "1.20 GB")] as [(Int64, String)])
    func sizesAreDecimalWithThreeSignificantDigits(_ bytes: Int64, _ text: String) {
        #expect(ProgressBar.bytes(bytes) == text)
    }

    @Test(arguments: [(0.2, "1s"), (42, "42s"), (185, "3m05s"), (7_620, "2h07m")] as [(Double, String)])
    func timesLeftAreShort(_ seconds: Double, _ text: String) {
        #expect(ProgressBar.duration(seconds) == text)
    }
}
