// kill_probe - starts a command, waits until a file appears, then kills the
// command with SIGKILL (no chance to clean up: what a crash or the OOM
// killer does). For the kill-and-resume test (tests/kill_resume.cmake).
//   kill_probe FILE COMMAND [ARGS...]
// Exit status: 0 the command was killed after FILE appeared; 1 it ended
// before FILE appeared (the test cannot tell anything then); 2 usage.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <thread>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: kill_probe FILE COMMAND [ARGS...]\n");
    return 2;
  }
  const pid_t pid = fork();
  if (pid < 0) return 2;
  if (pid == 0) {
    execv(argv[2], argv + 2);
    std::perror("kill_probe: exec");
    _exit(127);
  }
  for (;;) {
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      std::fprintf(stderr, "kill_probe: the command ended (status %d) before %s appeared\n", status, argv[1]);
      return 1;
    }
    if (std::filesystem::exists(argv[1])) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  if (!(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)) {
    std::fprintf(stderr, "kill_probe: the command ended before SIGKILL arrived (status %d)\n", status);
    return 1;
  }
  std::printf("kill_probe: killed pid %d after %s appeared\n", int(pid), argv[1]);
  return 0;
}
