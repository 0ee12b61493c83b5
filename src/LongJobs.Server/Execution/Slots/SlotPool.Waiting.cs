namespace LongJobs.Server.Execution.Slots;

// The ad-hoc jobs a change of the pool gave a slot to, which the caller runs once it has left the lock.
internal sealed partial class SlotPool
{
    /// <summary>The ad-hoc jobs that took free slots: mostly none or one (a slot frees at a time), so no list for those.</summary>
    private struct Waiting
    {
        private JobWorkItem? _first;
        private List<JobWorkItem>? _more;

        public void Add(JobWorkItem item)
        {
            if (_first is null)
            {
                _first = item;
            }
            else
            {
                (_more ??= []).Add(item);
            }
        }

        public readonly void Run(Action<JobWorkItem> run)
        {
            if (_first is null)
            {
                return;
            }

            run(_first);
            if (_more is null)
            {
                return;
            }

            foreach (var item in _more)
            {
                run(item);
            }
        }
    }
}
