# syntax=docker/dockerfile:1
# Esteira CLI image: `docker run --rm -v "$PWD:/workspace" IMAGE run` runs the pipeline in the mounted workspace;
# `docker run --rm IMAGE run` runs it on the bundled real sample.

# --- build: the SDK publishes the CLI framework-dependent for linux-x64 ---
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
# Build inputs only (see .dockerignore); the NuGet cache mount keeps restores fast across builds.
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig ./
COPY src/ src/
RUN --mount=type=cache,id=nuget,target=/root/.nuget/packages \
    dotnet publish src/Esteira.Cli -c Release -r linux-x64 --self-contained false -o /app

# --- runtime: ASP.NET Core runtime (the leaderboard server is ASP.NET Core) + OpenMP for LightGBM ---
FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime
RUN apt-get update \
    && apt-get install -y --no-install-recommends libgomp1 \
    && rm -rf /var/lib/apt/lists/*
ENV DOTNET_CLI_TELEMETRY_OPTOUT=1 \
    DOTNET_NOLOGO=1 \
    OMP_WAIT_POLICY=PASSIVE
COPY --from=build /app/ /opt/esteira/
# The CLI finds the bundled sample beside itself (samples/ above its folder), as in the repository.
COPY samples/ /opt/esteira/samples/
RUN ln -s /opt/esteira/esteira /usr/local/bin/esteira \
    && mkdir -p /workspace \
    && chown app:app /workspace
USER app
WORKDIR /workspace
ENTRYPOINT ["esteira"]
CMD ["--help"]
