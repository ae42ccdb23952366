"""timeit.py N NAME CMD...: runs CMD (stdin and stdout on /dev/null) 3 times to warm up, then N
times, and prints "NAME<TAB>median ms<TAB>p90 ms". Exits non-zero if CMD fails."""
import os, sys, time
n, name, cmd = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
null = os.open("/dev/null", os.O_RDWR)
acts = [(os.POSIX_SPAWN_DUP2, null, 0), (os.POSIX_SPAWN_DUP2, null, 1)]
def once():
    t = time.perf_counter()
    pid = os.posix_spawnp(cmd[0], cmd, os.environ, file_actions=acts)
    _, st = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(st) != 0:
        sys.exit(f"{name}: {' '.join(cmd)} failed ({os.waitstatus_to_exitcode(st)})")
    return (time.perf_counter() - t) * 1000
for _ in range(3):
    once()
ts = sorted(once() for _ in range(n))
print(f"{name}\t{ts[len(ts) // 2]:.2f}\t{ts[min(len(ts) - 1, (len(ts) * 9) // 10)]:.2f}")
