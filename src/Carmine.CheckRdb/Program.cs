using Carmine.CheckRdb;
using Carmine.Server;

if (args.Length == 1 && args[0] is "-v" or "--version")
{
    Console.WriteLine($"carmine-check-rdb {RedisServer.RedisVersion}");
    return 0;
}
if (args.Length != 1)
{
    Console.Error.WriteLine("Usage: carmine-check-rdb <rdb-file-name>");
    return 1;
}
return new RdbCheck(Console.Out).Run(args[0]) ? 0 : 1;
