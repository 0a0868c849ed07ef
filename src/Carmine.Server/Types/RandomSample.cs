namespace Carmine.Server.Types;

/// <summary>Uniform random choices of positions in a collection, for HRANDFIELD, SRANDMEMBER and SPOP.</summary>
public static class RandomSample
{
    /// <summary>
    /// Chooses <paramref name="count"/> distinct positions in [0, <paramref name="size"/>), each subset equally likely.
    /// Near the whole collection it shuffles a list of all positions; far from it, it draws and skips repeats,
    /// the two strategies Redis switches between at a factor of 3.
    /// </summary>
    public static int[] Distinct(int size, int count)
    {
        var random = Random.Shared;
        if ((long)count * 3 > size)
        {
            var all = new int[size];
            for (int i = 0; i < size; i++) all[i] = i;
            for (int i = 0; i < count; i++)
            {
                int j = random.Next(i, size);
                (all[i], all[j]) = (all[j], all[i]);
            }
            return all[..count];
        }
        var seen = new HashSet<int>(count);
        var picked = new int[count];
        int n = 0;
        while (n < count)
        {
            int p = random.Next(size);
            if (seen.Add(p)) picked[n++] = p;
        }
        return picked;
    }
}
