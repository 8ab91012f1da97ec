"""Charts: Helm-layout charts with Jinja2 templates, loaded, resolved and rendered without a cluster.

    chart.py        Chart: a loaded chart as plain data
    dependencies.py Dependency, ImportValue, Subchart: a chart's dependencies (imported where one is read)
    metadata.py     Chart.yaml (and requirements.yaml): fields checked, problems with their lines
    semver.py       semantic versions (the chart's, the target Kubernetes version)
    constraints.py  Helm's version-constraint syntax (kubeVersion, dependency versions, semver_compare)
    unpacking.py    .tgz archives read in memory, unsafe entries refused
    loading.py      load_chart(path): folder or archive, .helmignore, dependencies (charts/, file://, fetched ones)
    lockfile.py     Chart.lock: Helm's digest, read and checked against Chart.yaml
    helmconfig.py   Helm's client config: repositories.yaml (@name, credentials), registry config paths
    repositories.py dependency update/build/list with Helm's own downloader (helm-python-sdk, imported lazily)
    repoproxy.py    loopback proxy fetching with a repositories.yaml entry's credentials and TLS files
    archiving.py    package(folder): reproducible .tgz in Helm's layout, and its sha256
    resolving.py    resolve(chart, values, merge=...): enabled subcharts and the values each sees
    context.py      what templates see: Values (path-aware), Release, Chart, Capabilities, Files, Template
    helpers.py      the filters and functions templates can call (to_yaml, include, tpl, required, ...)
    environment.py  the Jinja2 environment per chart tree: loader, import rules, sandbox, bytecode cache
    rendering.py    render(tree, target=...): templates to Rendered, every failure located
    clusters.py     Cluster: where Helm's lookup reads live objects (plan, upgrade)
    blockyaml.py    the fast reader for plain block YAML (PyYAML reads everything else)
    yamlcodec.py    YAML in and out: safe loader with Helm's typing (deploykit.yamlscalars), quoting block-style dumper, documents
    manifests.py    Manifest, Hook, Rendered; rendered text to manifests
    assembling.py   hooks apart, namespaces filled, checks, apply order
    checking.py     object checks: identity fields, names per kind, labels, duplicates, API schemas
    kinds.py        built-in kinds: cluster scope, apply-order groups, naming rules
    kubeapis.py     the built-in API of a Kubernetes version (kubernetes-validate's schemas)
    apivalues.py    values the API server refuses beyond its schema (enums, ports, quantities, names)
    problems.py     Problem (level, file, line, message) and secret masking

Must not import values/, secrets/ or kube/ (siblings): release/ joins them.
"""
