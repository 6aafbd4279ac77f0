// braid: the daemon's main.
#include <cstdio>

int main() {
  puts("braid");
  return 0;
}
