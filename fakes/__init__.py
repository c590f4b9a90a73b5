"""Provider fakes (small HTTP servers on 127.0.0.1) and process helpers, shared by the tests and the benchmarks."""
