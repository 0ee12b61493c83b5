namespace LongJobs.Server.Storage.Conformance;

/// <summary>The <see cref="IJobNodes"/> role: the nodes alive, with their running jobs.</summary>
public abstract partial class JobStoreConformanceTests
{
    [Fact]
    public async Task GetNodes_CountsEachNodesRunningJobs()
    {
        var store = CreateStore();
        await InsertRunningAsync(store, "k", T0);
        await InsertRunningAsync(store, "k", T0);
        await store.InsertAsync(NewJob("k", T0));

        var nodes = await store.GetNodesAsync();

        Assert.Equal(2, nodes.Sum(node => node.RunningJobs));
        Assert.All(nodes, node => Assert.False(string.IsNullOrEmpty(node.Name)));
    }
}
