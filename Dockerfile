# syntax=docker/dockerfile:1
# aigne-hub in a container: the pinned Bun compiles dist/aigne-hub; the runtime image holds only that binary.

FROM oven/bun:1.4.5 AS build
WORKDIR /src
# Reproducible install from package-lock.json without Node: Bun migrates package-lock.json on the fly and,
# with --frozen-lockfile, fails instead of resolving anything the lock does not pin (checked with Bun 1.4.5:
# the same versions `npm ci` installs, and an error when package.json and the lock disagree).
# --production: compiling needs the runtime packages and this image's Bun (the version package.json pins),
# not the test-only devDependencies.
COPY package.json package-lock.json ./
RUN bun install --frozen-lockfile --production
COPY bunfig.toml tsconfig.json ./
COPY drizzle ./drizzle
COPY scripts/build.ts ./scripts/build.ts
COPY src ./src
# build.ts compiles, embeds drizzle/ and src/ui/ui-public, and smoke-runs the binary (a short `serve` on loopback
# that records the bytecode profile of the final compile, then --version). /data is made here because the runtime
# image has no shell; it is copied over owned by the non-root user.
RUN bun scripts/build.ts && mkdir -m 0700 /data

# base, not static: the bun-linux target links against glibc.
FROM gcr.io/distroless/base-debian12
COPY --from=build /src/dist/aigne-hub /usr/local/bin/aigne-hub
COPY --from=build --chown=65532:65532 /data /data
# distroless's "nonroot" user
USER 65532:65532
ENV NODE_ENV=production AIGNE_HUB_DATA_DIR=/data AIGNE_HUB_HOST=0.0.0.0
VOLUME /data
EXPOSE 8090
# Exec form: there is no shell. `health` probes http://127.0.0.1:$AIGNE_HUB_PORT (default 8090)/healthz.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 CMD ["/usr/local/bin/aigne-hub", "health"]
ENTRYPOINT ["/usr/local/bin/aigne-hub"]
CMD ["serve"]
