"""The responses (moto's ``responses``): parse a request, call the models, render the answer:
the API's and the object storage's handlers, the control endpoints, error bodies, injected
faults, redirect hops, mutations and the bytes of a download."""
