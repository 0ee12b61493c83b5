// The test classes run one after another. Each generates documents of its own app, and NSwag reads handlers' XML
// comments through Namotion.Reflection's caches, which are process-wide: NSwag's document middleware clears them after
// every document it generates. A document generated while another app's middleware clears them can miss an XML summary
// (seen under load: ServedDocument_HasNoServers_AndEqualsTheOneTheBuildWrites got "Resumes a paused job kind." in one of
// its two documents only; with the caches cleared in a loop beside it, 6 of 20 documents of one app differed from its
// first). A server process generates its document once; a process hosting several apps at once, as this test run
// does, generates concurrently.
[assembly: Xunit.CollectionBehavior(DisableTestParallelization = true)]
