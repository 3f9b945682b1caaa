using Esteira.Cli;

return await EsteiraApp.RunAsync(args);
