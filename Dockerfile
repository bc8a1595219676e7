# syntax=docker/dockerfile:1
# The gateway as one image: `make image` (or `docker build -t xiamo-gateway .`).
# Three stages: GraphiQL's pinned assets (Node), the package in a virtual environment
# (Python), and the runtime, which holds neither Node nor a compiler.

# The build and runtime stages must share one Python: the virtual environment moves
# from one to the other.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM node:20-bookworm-slim AS assets
WORKDIR /build
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
# Only the files the gateway serves (ASSET_FILES in gateway/graphiql.py), each with its
# package's licence and package.json.
WORKDIR /build/node_modules
RUN mkdir /graphiql \
    && cp --parents \
        react/LICENSE react/package.json \
        react/umd/react.production.min.js \
        react-dom/LICENSE react-dom/package.json \
        react-dom/umd/react-dom.production.min.js \
        graphiql/LICENSE graphiql/package.json \
        graphiql/graphiql.min.js graphiql/graphiql.min.css \
        /graphiql/

FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
WORKDIR /src
COPY . .
# A regular (not editable) install: the sources stay behind in this stage.
RUN /opt/venv/bin/pip install --no-cache-dir .

FROM ${PYTHON_IMAGE}
RUN groupadd --gid 10001 gateway \
    && useradd --uid 10001 --gid gateway --no-create-home \
        --home-dir /var/lib/xiamo-gateway --shell /usr/sbin/nologin gateway \
    && install --directory --owner=gateway --group=gateway --mode=0750 /var/lib/xiamo-gateway
COPY --from=build /opt/venv /opt/venv
COPY --from=assets /graphiql /opt/xiamo-gateway/graphiql
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    GATEWAY_ENV=production \
    GATEWAY_GRAPHIQL_ASSETS_DIR=/opt/xiamo-gateway/graphiql
# The working directory is the only one the gateway may write to (var/ in development).
WORKDIR /var/lib/xiamo-gateway
USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]
ENTRYPOINT ["xiamo-gateway"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
