# unit tests of src/ipc
