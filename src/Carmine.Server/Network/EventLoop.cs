using System.Collections.Concurrent;

namespace Carmine.Server.Network;

/// <summary>Something registered with an event loop: a listening socket or a client connection.</summary>
public interface IEventHandler
{
    int Fd { get; }
    void OnEvents(uint events);
}

/// <summary>
/// One thread with its own epoll set. Each connection belongs to one loop for its whole life and
/// its commands execute on that loop's thread, so a pipelined batch never changes threads.
/// Other threads reach a loop only through <see cref="Post"/>.
/// </summary>
public sealed unsafe class EventLoop : IDisposable
{
    const int MaxEvents = 256;

    readonly int epfd;
    readonly int wakeFd;
    readonly ConcurrentQueue<Action> posted = new();
    readonly PriorityQueue<Action, long> timers = new();
    IEventHandler?[] handlers = new IEventHandler?[1024];
    readonly Thread thread;
    int wakePending;
    volatile bool stopping;

    public int Index { get; }

    public EventLoop(int index)
    {
        Index = index;
        epfd = Native.epoll_create1(0x80000);
        if (epfd < 0) throw new InvalidOperationException("epoll_create1: " + Native.ErrorText(Native.Errno));
        wakeFd = Native.eventfd(0, Native.EFD_NONBLOCK | Native.EFD_CLOEXEC);
        var ev = new Native.EpollEvent { Events = Native.EPOLLIN, Data = (ulong)wakeFd };
        Native.epoll_ctl(epfd, Native.EPOLL_CTL_ADD, wakeFd, &ev);
        thread = new Thread(Run) { IsBackground = true, Name = "carmine-loop-" + index };
    }

    public void Start() => thread.Start();

    public bool OnLoopThread => Thread.CurrentThread == thread;

    /// <summary>Runs <paramref name="action"/> on this loop's thread, soon.</summary>
    public void Post(Action action)
    {
        posted.Enqueue(action);
        if (Interlocked.Exchange(ref wakePending, 1) == 0)
        {
            ulong one = 1;
            Native.write(wakeFd, (byte*)&one, 8);
        }
    }

    /// <summary>Runs <paramref name="action"/> on this loop's thread at <paramref name="dueTicks"/> (Environment.TickCount64). Loop thread only.</summary>
    public void AddTimer(long dueTicks, Action action) => timers.Enqueue(action, dueTicks);

    public void Register(IEventHandler handler, uint events)
    {
        int fd = handler.Fd;
        if (fd >= handlers.Length) Array.Resize(ref handlers, Math.Max(fd + 1, handlers.Length * 2));
        handlers[fd] = handler;
        var ev = new Native.EpollEvent { Events = events, Data = (ulong)fd };
        Native.epoll_ctl(epfd, Native.EPOLL_CTL_ADD, fd, &ev);
    }

    public void Modify(IEventHandler handler, uint events)
    {
        var ev = new Native.EpollEvent { Events = events, Data = (ulong)handler.Fd };
        Native.epoll_ctl(epfd, Native.EPOLL_CTL_MOD, handler.Fd, &ev);
    }

    public void Unregister(IEventHandler handler)
    {
        int fd = handler.Fd;
        var ev = default(Native.EpollEvent);
        Native.epoll_ctl(epfd, Native.EPOLL_CTL_DEL, fd, &ev);
        if (fd < handlers.Length && handlers[fd] == handler) handlers[fd] = null;
    }

    void Run()
    {
        var events = stackalloc Native.EpollEvent[MaxEvents];
        while (!stopping)
        {
            int timeout = 1000;
            if (timers.TryPeek(out _, out long due))
                timeout = (int)Math.Clamp(due - Environment.TickCount64, 0, 1000);
            if (!posted.IsEmpty) timeout = 0;
            int n = Native.epoll_wait(epfd, events, MaxEvents, timeout);
            if (n < 0 && Native.Errno != Native.EINTR) break;
            Dispatch(events, n, null);
            RunPosted();
            RunTimers();
        }
    }

    void Dispatch(Native.EpollEvent* events, int n, IEventHandler? skip)
    {
        for (int i = 0; i < n; i++)
        {
            int fd = (int)events[i].Data;
            if (fd == wakeFd)
            {
                ulong value;
                Native.read(wakeFd, (byte*)&value, 8);
                continue;
            }
            var handler = fd < handlers.Length ? handlers[fd] : null;
            if (handler is null || handler == skip) continue;
            try
            {
                handler.OnEvents(events[i].Events);
            }
            catch (Exception ex)
            {
                Log.Warning($"Unexpected error on fd {fd}: {ex}");
            }
        }
    }

    /// <summary>
    /// Serves this loop's connections once without waiting, all but <paramref name="busy"/>, while a long script holds
    /// the loop thread (Redis's processEventsWhileBlocked): they get BUSY replies and SCRIPT KILL reaches the script.
    /// Events are level-triggered, so the skipped connection's input waits for the next poll. Posted work runs too:
    /// a connection accepted meanwhile is registered through it, and may be the one sending SCRIPT KILL.
    /// </summary>
    public void ProcessEventsWhileBlocked(IEventHandler busy)
    {
        var events = stackalloc Native.EpollEvent[MaxEvents];
        int n = Native.epoll_wait(epfd, events, MaxEvents, 0);
        if (n > 0) Dispatch(events, n, busy);
        RunPosted();
    }

    void RunPosted()
    {
        Volatile.Write(ref wakePending, 0);
        while (posted.TryDequeue(out var action))
        {
            try { action(); }
            catch (Exception ex) { Log.Warning("Unexpected error in event loop task: " + ex); }
        }
    }

    void RunTimers()
    {
        long now = Environment.TickCount64;
        while (timers.TryPeek(out var action, out long due) && due <= now)
        {
            timers.Dequeue();
            try { action(); }
            catch (Exception ex) { Log.Warning("Unexpected error in timer: " + ex); }
        }
    }

    public void Stop()
    {
        stopping = true;
        Post(() => { });
    }

    public void Join(int millis) => thread.Join(millis);

    public void Dispose()
    {
        Native.close(epfd);
        Native.close(wakeFd);
    }
}
