// Entry point of the unit-test binary: CppUTest's runner over every TEST
// linked in. CppUTest's new/delete leak counting is off because it reports
// the standard library's lazily allocated caches as leaks; the ASan build
// in CI (LeakSanitizer) checks for real leaks instead.
#include <CppUTest/CommandLineTestRunner.h>
#include <CppUTest/MemoryLeakWarningPlugin.h>

int main(int argc, char** argv) {
  MemoryLeakWarningPlugin::turnOffNewDeleteOverloads();
  return CommandLineTestRunner::RunAllTests(argc, argv);
}
