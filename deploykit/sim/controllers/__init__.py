"""Simulated cluster components: the controllers, scheduler and kubelet behind the simulator's API.

With these, objects move through the states a real cluster shows: a
Deployment gets a ReplicaSet, the ReplicaSet gets Pods, the scheduler binds
them to simulated Nodes, the kubelet pulls images, starts containers, makes
them Ready (or crash-loops them, as pod annotations ask), prints their logs
and records Events. One module per component; `running.Controllers` starts
them all on the server's event loop.

Every component reads the store and writes through the internal API
(`deploykit.sim.api`), with the field manager of the real component
(`kube-controller-manager`, `kube-scheduler`, `kubelet`), so clients see the
same managedFields, resourceVersions and watch events as on a real cluster.
Nothing here imports from outside `deploykit.sim`, and nothing runs off the
loop thread.
"""
