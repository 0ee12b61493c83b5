using System.Collections;
using System.ComponentModel.DataAnnotations;
using System.Globalization;
using LongJobs.Server.Jobs;
using Microsoft.Extensions.Logging;

namespace LongJobs.Sample.Jobs;

/// <summary>Starts a count of the primes below a bound.</summary>
public sealed record PrimesRequest
{
    /// <summary>Count the primes below this number.</summary>
    [Range(2, 2_000_000_000)]
    public required int Below { get; init; }
}

/// <summary>How many primes there are below a bound.</summary>
public sealed record PrimesResult
{
    /// <summary>The bound the primes are below.</summary>
    [Required]
    public required int Below { get; init; }

    /// <summary>How many primes are below the bound.</summary>
    [Required]
    public required int Count { get; init; }

    /// <summary>The largest prime below the bound.</summary>
    [Required]
    public required int Largest { get; init; }
}

/// <summary>Real work with real data: a segmented sieve of Eratosthenes that reports progress and honours cancellation.</summary>
public sealed class PrimesJob : IJobHandler<PrimesRequest, PrimesResult>
{
    private const int SegmentSize = 1 << 20;

    /// <inheritdoc />
    public async Task<PrimesResult> ExecuteAsync(PrimesRequest request, JobContext context, CancellationToken cancellationToken)
    {
        var below = request.Below;
        var root = (int)Math.Sqrt(below) + 1;
        var basePrimes = SmallPrimes(root);
        var segment = new BitArray(SegmentSize);
        int count = 0, largest = 0;
        context.Log(LogLevel.Information, string.Create(CultureInfo.InvariantCulture, $"Sieving the primes below {below:N0} in segments of {SegmentSize:N0}."));

        for (long low = 2; low < below; low += SegmentSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var high = (int)Math.Min(low + SegmentSize, below);
            segment.SetAll(true);
            foreach (var prime in basePrimes)
            {
                var square = (long)prime * prime;
                if (square >= high)
                {
                    break;
                }

                for (var multiple = Math.Max(square, (low + prime - 1) / prime * prime); multiple < high; multiple += prime)
                {
                    segment[(int)(multiple - low)] = false;
                }
            }

            for (var offset = 0; offset < high - low; offset++)
            {
                if (segment[offset])
                {
                    count++;
                    largest = (int)(low + offset);
                }
            }

            await context.ReportProgressAsync((double)(high - 2) / (below - 2), $"Sieved up to {high:N0}", cancellationToken);

            // CPU-bound: give other work on the thread pool a turn between segments.
            await Task.Yield();
        }

        context.Log(LogLevel.Information, string.Create(CultureInfo.InvariantCulture, $"Found {count:N0} primes; the largest is {largest:N0}."));
        return new PrimesResult { Below = below, Count = count, Largest = largest };
    }

    private static List<int> SmallPrimes(int limit)
    {
        var composite = new BitArray(limit + 1);
        var primes = new List<int>();
        for (var n = 2; n <= limit; n++)
        {
            if (composite[n])
            {
                continue;
            }

            primes.Add(n);
            for (var multiple = (long)n * n; multiple <= limit; multiple += n)
            {
                composite[(int)multiple] = true;
            }
        }

        return primes;
    }
}
