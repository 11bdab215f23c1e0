# The spawn helper as a small Python process (see spawner.ts and helper-process.ts): it runs commands
# for the loop as spawner-child.ts does, with the same requests and replies. Python's subprocess starts
# a command with vfork() and exec, so a spawn costs the helper about 0.6 ms of CPU instead of the 3.5 to
# 4.5 ms of a node helper's fork() (whose every page the helper then faults on again as it writes), and
# each command's CPU comes back exactly from wait4(). Standard library only; where Python 3 is missing or
# does not start, the loop uses spawner-child.ts.
#
# Framing, both ways: a message is a netstring of its field count, then one netstring per field
# ("5:hello,"); fields are bytes. Requests:
#   S id kind cwd file has-input input nargs args... env...   a short command, output captured
#   L id kind cwd file log-file nice nargs args... env...      a long command: own session (or, with a nice, its own process group
#                                                               in the lane of that nice), output appended to log-file
#   T id                                                        CPU per kind so far
# Replies:
#   H pid                          started
#   R id exit-code stdout stderr   a short command ended (-1 and the reason in stderr: not started, or a signal)
#   P id pid / F id message        a long command started / did not start
#   X id exit-code signal          a long command ended (one of the two is empty)
#   X id exit-code signal kind cpu-ms   the same from a lane to its helper, which counts the CPU and passes X on without them
#   T id (kind count cpu-ms)...    CPU per kind (each command's own, from wait4, with what it reaped)
import collections
import errno
import os
import selectors
import signal
import subprocess
import sys
import time


def put(value):
    return b'%d:%s,' % (len(value), value)


def frame(*fields):
    return put(b'%d' % len(fields)) + b''.join(put(f if isinstance(f, bytes) else str(f).encode()) for f in fields)


def write_all(fd, data):
    view = memoryview(data)
    while view:
        try:
            written = os.write(fd, view)
        except InterruptedError:
            continue
        view = view[written:]


def reply(*fields):
    try:
        write_all(1, frame(*fields))
    except OSError:
        os._exit(0)  # the loop (or a lane's helper) is gone


class Frames:
    def __init__(self):
        self.buffer = b''

    def field(self, at):
        colon = self.buffer.find(b':', at)
        if colon < 0:
            return None
        length = int(self.buffer[at:colon])
        end = colon + 1 + length
        if len(self.buffer) < end + 1:
            return None
        if self.buffer[end:end + 1] != b',':
            raise ValueError('bad frame')
        return self.buffer[colon + 1:end], end + 1

    def messages(self, chunk):
        self.buffer += chunk
        out = []
        while True:
            count = self.field(0)
            if count is None:
                break
            fields, at = [], count[1]
            for _ in range(int(count[0])):
                item = self.field(at)
                if item is None:
                    return out
                fields.append(item[0])
                at = item[1]
            self.buffer = self.buffer[at:]
            out.append(fields)
        return out


by_kind = {}  # kind -> [count, cpu ms]
short = {}    # pid -> dict(id, kind, proc, out, err, open, input, status)
long_ = {}    # pid -> dict(id, kind, proc)
selector = selectors.DefaultSelector()


def count(kind, usage):
    entry = by_kind.setdefault(kind, [0, 0.0])
    entry[0] += 1
    entry[1] += (usage.ru_utime + usage.ru_stime) * 1000


def request_parts(fields, fixed):
    nargs = int(fields[fixed])
    args = fields[fixed + 1:fixed + 1 + nargs]
    env = {}
    for pair in fields[fixed + 1 + nargs:]:
        name, _, value = pair.partition(b'=')
        env[name] = value
    return args, env


def failure(file, error):
    name = errno.errorcode.get(error.errno or 0, 'EIO') if isinstance(error, OSError) else type(error).__name__
    return 'spawn %s %s' % (file.decode(errors='replace'), name)


def start_short(fields):
    ident, kind, cwd, file, has_input, data = fields[1:7]
    args, env = request_parts(fields, 7)
    try:
        proc = subprocess.Popen([file] + args, cwd=cwd, env=env, close_fds=True,
                                stdin=subprocess.PIPE if has_input == b'1' else subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    except (OSError, ValueError, subprocess.SubprocessError) as error:
        reply('R', ident, -1, b'', failure(file, error))
        return
    entry = {'id': ident, 'kind': kind.decode(), 'proc': proc, 'out': [], 'err': [], 'open': 2, 'status': None}
    short[proc.pid] = entry
    for stream, which in ((proc.stdout, 'out'), (proc.stderr, 'err')):
        os.set_blocking(stream.fileno(), False)
        selector.register(stream.fileno(), selectors.EVENT_READ, (proc.pid, which, stream))
    if has_input == b'1':
        os.set_blocking(proc.stdin.fileno(), False)
        entry['input'] = memoryview(data)
        if data:
            selector.register(proc.stdin.fileno(), selectors.EVENT_WRITE, (proc.pid, 'in', proc.stdin))
        else:
            proc.stdin.close()


def start_long(fields, in_lane=False):
    ident, kind, cwd, file, log, nice = fields[1:7]
    nice = int(nice or b'0')
    if nice > 0 and not in_lane:
        lane = lane_for(nice)
        if lane is not None and lane.send(ident, fields):
            return
    args, env = request_parts(fields, 7)
    argv = [file] + args
    # in a lane: a process group of its own in the lane's session (the lane's nice and autogroup);
    # elsewhere a session of its own, and where a lane is missing the nice set in the child before exec
    where = {'process_group': 0} if in_lane else {'start_new_session': True}
    if nice and not in_lane:
        where = {'preexec_fn': lambda: lower_self(nice, new_session=True, tries=1)}
    try:
        with open(log, 'ab') as out:
            proc = subprocess.Popen(argv, cwd=cwd, env=env, close_fds=True,
                                    stdin=subprocess.DEVNULL, stdout=out, stderr=out, **where)
    except (OSError, ValueError, subprocess.SubprocessError) as error:
        reply('F', ident, failure(file, error))
        return
    long_[proc.pid] = {'id': ident, 'kind': kind.decode(), 'proc': proc}
    reply('P', ident, proc.pid)


# Lanes: commands with a nice (agents) start from a child of this helper that runs in a session of its
# own at that nice, its scheduler autogroup set to it once (Linux groups CPU by session where
# sched_autogroup is on: a nice counts only inside its autogroup). Every command of the lane inherits
# both from its first instruction, in a process group of its own, with no controlling terminal (the
# lane's session has none); no shell and no nice(1) per start (about 6 ms of CPU each on 2 cores), and
# one autogroup write a run instead of one a start, which for users other than root the kernel allows
# once every 100 ms machine-wide (a refused write left an agent in an autogroup at nice 0).
lanes = {}        # nice -> Lane
LANE_STARTS = 3   # lanes of one nice started at most (one that keeps ending is given up: the child path then)


def lower_self(nice, new_session, tries=10):
    """This process at `nice`, its autogroup too (a lane tries ten times, 110 ms apart, where the write is refused for now)."""
    if new_session:
        os.setsid()
    for attempt in range(tries):
        if attempt:
            time.sleep(0.11)
        try:
            with open('/proc/self/autogroup', 'w') as group:
                group.write(str(nice))
            break
        except OSError as error:
            # EAGAIN: another write within 100 ms (users other than root); no autogroups: nothing to set
            if error.errno != errno.EAGAIN:
                break
    try:
        os.nice(nice)
    except OSError:
        pass  # a nice it may not take (below 0 without the right): the command runs at this one, as nice(1) does


class Lane:
    """A lane: this script again (`--lane NICE`), in a session of its own, its requests on its stdin, its replies on its stdout."""

    def __init__(self, nice):
        self.nice = nice
        self.sent = {}    # request id -> [request, pid once started (None before)]
        self.reaped = False
        self.proc = subprocess.Popen([sys.executable, '-I', '-S', os.path.abspath(__file__), '--lane', str(nice)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, close_fds=True,
                                     start_new_session=True, env={'PATH': os.environ.get('PATH', '')})
        self.requests = self.proc.stdin.fileno()
        self.replies = self.proc.stdout.fileno()
        os.set_blocking(self.replies, False)
        self.frames = Frames()
        selector.register(self.replies, selectors.EVENT_READ, self)
        lane_pids[self.proc.pid] = self

    def send(self, ident, fields):
        try:
            write_all(self.requests, frame(*fields))
        except OSError:
            return False
        self.sent[ident] = [fields, None]
        return True

    def on_replies(self):
        try:
            chunk = os.read(self.replies, 65536)
        except BlockingIOError:
            return
        if not chunk:
            self.ended()
            return
        for fields in self.frames.messages(chunk):
            ident = fields[1]
            if fields[0] == b'P':
                if ident in self.sent:
                    self.sent[ident][1] = int(fields[2])
            elif fields[0] == b'X':
                self.sent.pop(ident, None)
                entry = by_kind.setdefault(fields[4].decode(), [0, 0.0])
                entry[0] += 1
                entry[1] += float(fields[5])
                fields = fields[:4]
            elif fields[0] == b'F':
                self.sent.pop(ident, None)
            reply(*fields)

    def ended(self):
        # What the lane started can no longer be watched: every process of its session is killed (one it
        # started but had not said so too; the session's id is not reused while any of them lives) and
        # what it had said it started is reported killed, never a success. What it had not said it
        # started is started again elsewhere (another lane, or the fallback): anything of it is gone.
        selector.unregister(self.replies)
        kill_session(self.proc.pid)
        self.close()
        if lanes.get(self.nice) is self:
            del lanes[self.nice]
        sent, self.sent = self.sent, {}
        for ident, (fields, pid) in sent.items():
            if pid is None:
                start_long(fields)
                continue
            try:
                os.killpg(pid, signal.SIGKILL)
            except OSError:
                pass
            reply('X', ident, '', 'SIGKILL')

    def close(self):
        """Ends the lane (its requests' end closed) and waits for it (its CPU counts as its helper's)."""
        for stream in (self.proc.stdin, self.proc.stdout):
            try:
                stream.close()
            except OSError:
                pass
        if not self.reaped:
            try:
                os.waitpid(self.proc.pid, 0)
            except ChildProcessError:
                pass
        self.reaped = True
        lane_pids.pop(self.proc.pid, None)
        self.proc.returncode = 0


lane_starts = collections.Counter()
lane_pids = {}    # pid -> Lane, until reaped (by close, or by reap's wait4 first)


def kill_session(sid):
    """SIGKILL to every process of session `sid` but its leader (Linux /proc)."""
    for name in os.listdir('/proc'):
        if not name.isdigit() or int(name) == sid:
            continue
        try:
            with open('/proc/%s/stat' % name, 'rb') as stat:
                data = stat.read()
            if int(data[data.rindex(b')') + 2:].split()[3]) == sid:
                os.kill(int(name), signal.SIGKILL)
        except (OSError, ValueError, IndexError):
            pass  # gone meanwhile


def lane_for(nice):
    lane = lanes.get(nice)
    if lane is None and lane_starts[nice] < LANE_STARTS and sys.version_info >= (3, 11):
        lane_starts[nice] += 1
        try:
            lane = lanes[nice] = Lane(nice)
        except (OSError, subprocess.SubprocessError):
            return None
    return lane


def watch_exits_and_stdin():
    """Registers, with the selector, stdin (data 'stdin') and a pipe the SIGCHLD handler writes to (data None)."""
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_r, False)
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w, warn_on_full_buffer=False)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    selector.register(wake_r, selectors.EVENT_READ, None)
    os.set_blocking(0, False)
    selector.register(0, selectors.EVENT_READ, 'stdin')
    return wake_r


def drain(fd):
    try:
        os.read(fd, 4096)
    except BlockingIOError:
        pass


def read_stdin(frames):
    """The messages that arrived on stdin, and whether it has ended."""
    messages = []
    while True:
        try:
            chunk = os.read(0, 65536)
        except BlockingIOError:
            return messages, False
        if not chunk:
            return messages, True
        messages += frames.messages(chunk)


def lane_main(nice):
    """A lane's own loop: long commands from its stdin, each in a process group of its own; replies on its stdout."""
    lower_self(nice, new_session=False)  # the helper started it in a session of its own
    wake_r = watch_exits_and_stdin()
    frames = Frames()
    while True:
        for key, _ in selector.select(None):
            if key.data is None:
                drain(wake_r)
                continue
            messages, ended = read_stdin(frames)
            for fields in messages:
                start_long(fields, in_lane=True)
            if ended:
                os._exit(0)  # the helper is gone: the lane's commands live on in their own groups
        reap(in_lane=True)


def signal_name(number):
    try:
        return signal.Signals(number).name
    except ValueError:
        return 'SIG%d' % number


def finish_short(pid):
    entry = short.get(pid)
    if entry is None or entry['open'] > 0 or entry['status'] is None:
        return
    del short[pid]
    proc = entry['proc']
    if proc.stdin and not proc.stdin.closed:
        try:
            selector.unregister(proc.stdin.fileno())
        except (KeyError, ValueError):
            pass
        proc.stdin.close()
    out, err, status = b''.join(entry['out']), b''.join(entry['err']), entry['status']
    if os.WIFSIGNALED(status):
        reply('R', entry['id'], -1, out, err or ('killed by %s' % signal_name(os.WTERMSIG(status))).encode())
    else:
        reply('R', entry['id'], os.WEXITSTATUS(status), out, err)


def reap(in_lane=False):
    while True:
        try:
            pid, status, usage = os.wait4(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        if pid in short:
            entry = short[pid]
            entry['proc'].returncode = 0  # reaped here: subprocess must not wait for it again
            entry['status'] = status
            count(entry['kind'], usage)
            finish_short(pid)
        elif pid in lane_pids:
            lane_pids[pid].reaped = True  # close() must not wait for a pid that may be reused by then
        elif pid in long_:
            entry = long_.pop(pid)
            entry['proc'].returncode = 0
            # a lane's helper counts what the lane ran
            cpu = [entry['kind'], '%.3f' % ((usage.ru_utime + usage.ru_stime) * 1000)] if in_lane else []
            if not in_lane:
                count(entry['kind'], usage)
            if os.WIFSIGNALED(status):
                reply('X', entry['id'], '', signal_name(os.WTERMSIG(status)), *cpu)
            else:
                reply('X', entry['id'], os.WEXITSTATUS(status), '', *cpu)


def on_stream(pid, which, stream):
    entry = short.get(pid)
    if which == 'in':
        data = entry['input'] if entry else b''
        try:
            written = os.write(stream.fileno(), data) if data else 0
            entry['input'] = data[written:]
            done = not entry['input']
        except BlockingIOError:
            done = False
        except OSError:
            done = True  # the command closed its stdin
        if done:
            selector.unregister(stream.fileno())
            stream.close()
        return
    try:
        chunk = os.read(stream.fileno(), 65536)
    except BlockingIOError:
        return
    if chunk:
        entry[which].append(chunk)
        return
    selector.unregister(stream.fileno())
    stream.close()
    entry['open'] -= 1
    finish_short(pid)


def handle(fields):
    kind = fields[0]
    if kind == b'S':
        start_short(fields)
    elif kind == b'L':
        start_long(fields)
    elif kind == b'T':
        reap()
        flat = []
        for name in sorted(by_kind):
            flat += [name, by_kind[name][0], int(by_kind[name][1] + 0.5)]
        reply('T', fields[1], *flat)


def main():
    # a handler, not SIG_IGN: ignored signals stay ignored across exec, handled ones are reset
    signal.signal(signal.SIGINT, lambda *_: None)  # Ctrl-C reaches the loop's group: it stops gracefully and still needs git
    wake_r = watch_exits_and_stdin()
    frames = Frames()
    waiting = collections.deque()  # short commands asked for, not started yet
    reply('H', os.getpid())
    while True:
        # while short commands wait, only look whether anything else arrived: a long command asked for
        # behind a landing's burst of git (an agent) starts before the rest of the burst
        for key, _ in selector.select(0 if waiting else None):
            if key.data is None:
                drain(wake_r)
            elif key.data == 'stdin':
                messages, ended = read_stdin(frames)
                for fields in messages:
                    if fields[0] == b'S':
                        waiting.append(fields)
                    else:
                        handle(fields)
                if ended:
                    # the loop is gone: long commands live on in their own sessions (or groups); the
                    # lanes end with their helper, waited for so their CPU counts as the helper's
                    for lane in list(lanes.values()):
                        lane.close()
                    os._exit(0)
            elif isinstance(key.data, Lane):
                key.data.on_replies()
            else:
                on_stream(*key.data)
        for _ in range(min(len(waiting), 4)):
            handle(waiting.popleft())
        reap()


if __name__ == '__main__':
    if sys.argv[1:2] == ['--lane']:
        lane_main(int(sys.argv[2]))
    else:
        main()
