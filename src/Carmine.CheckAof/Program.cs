using Carmine.CheckAof;

return AofChecker.Run(args, Console.In, Console.Out);
