namespace LongJobs.Benchmarks.PostgreSql;

/// <summary>
/// CPU time used up to a moment: by this process (the nodes, hosts in it, and their producers) and, on Linux, by the
/// whole machine (<c>/proc/stat</c>: user, nice, system, irq and softirq time of all cores; not idle, I/O wait or time
/// stolen by the hypervisor). Read at both ends of a phase; <see cref="Since"/> gives its share, and the machine's less
/// this process's is what the database (and anything else running) used.
/// </summary>
/// <param name="Process">This process's CPU time.</param>
/// <param name="Machine">The machine's busy time; <see langword="null"/> off Linux.</param>
internal readonly record struct CpuTimes(TimeSpan Process, TimeSpan? Machine)
{
    /// <summary>The unit of <c>/proc/stat</c> (USER_HZ), 100 a second on every Linux architecture .NET runs on.</summary>
    private const int TicksPerSecond = 100;

    /// <summary>The fields of <c>/proc/stat</c>'s first line that count busy time: user, nice, system, irq, softirq.</summary>
    private static readonly int[] BusyFields = [1, 2, 3, 6, 7];

    public static CpuTimes Read() => new(Environment.CpuUsage.TotalTime, ReadMachine());

    /// <summary>The CPU time used between <paramref name="start"/> and these times.</summary>
    public CpuTimes Since(CpuTimes start) => new(Process - start.Process, Machine - start.Machine);

    /// <summary>The machine's busy time less this process's: the database's, on the benchmark's machine.</summary>
    public TimeSpan? Rest => Machine - Process;

    private static TimeSpan? ReadMachine()
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        // "cpu  user nice system idle iowait irq softirq steal guest guest_nice" (guest time is within user time).
        var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var busy = BusyFields.Sum(field => long.Parse(fields[field], System.Globalization.CultureInfo.InvariantCulture));
        return TimeSpan.FromSeconds((double)busy / TicksPerSecond);
    }
}
