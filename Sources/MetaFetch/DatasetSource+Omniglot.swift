import MetaTasks

extension DatasetSource {
    /// The two official Omniglot archives (Lake et al. 2015, MIT licence): GitHub
    /// `brendenlake/omniglot`, folder `python/`. They are checked by their content digest
    /// (``OmniglotDataset/officialContentDigest``, the `sha256sum` manifest of the PNGs inside),
    /// not by the zip files' own bytes, which could not be obtained to pin them.
    public static let omniglot = DatasetSource(
        name: "omniglot",
        files: OmniglotDataset.archives.map { $0 + ".zip" },
        defaultBaseURL: "https://github.com/brendenlake/omniglot/raw/master/python",
        contentDigest: OmniglotDataset.officialContentDigest,
        localDirectory: { OmniglotDataset.localDirectory },
        digest: { paths in
            do { return try OmniglotDataset.contentDigest(zipFiles: paths) } catch let error as OmniglotError {
                throw FetchError(error.message)
            }
        })
}
