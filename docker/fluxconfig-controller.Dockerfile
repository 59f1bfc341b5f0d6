# fluxconfig-controller image: built on Debian bookworm with the same install script CI uses.
FROM debian:bookworm AS build
WORKDIR /src
COPY scripts/install-deps.sh scripts/install-deps.sh
RUN ./scripts/install-deps.sh
COPY . .
RUN cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCF_TESTS=OFF \
 && ninja -C build fluxconfig-controller

FROM debian:bookworm-slim
COPY scripts/install-deps.sh /tmp/install-deps.sh
RUN /tmp/install-deps.sh runtime && rm -rf /var/lib/apt/lists/* /tmp/install-deps.sh
COPY --from=build /src/build/services/fluxconfig-controller/fluxconfig-controller /usr/local/bin/fluxconfig-controller
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/fluxconfig-controller"]
