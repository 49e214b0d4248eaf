// Only the declaration in include/CFuzzDriver.h is needed; libFuzzer provides the definition.
