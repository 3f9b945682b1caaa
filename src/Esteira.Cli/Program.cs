using Esteira.Cli;

return EsteiraApp.Run(args);
