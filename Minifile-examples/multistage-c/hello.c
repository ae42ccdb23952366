#include <stdio.h>

int main(void) {
  puts("hello from a static C binary built by mini");
  return 0;
}
