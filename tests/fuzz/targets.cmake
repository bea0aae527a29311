# The fuzz targets: tests/fuzz/fuzz_<name>.c each, with a seed corpus in
# tests/fuzz/corpus/<name>/ and regression inputs in tests/fuzz/regressions/<name>/.
set(ASSURE_FUZZ_TARGETS map csv json date ruletest wire xlsx)
