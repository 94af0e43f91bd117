"""SIP: the sippy adapter (dialogs, registrar, digest auth, transports, trunks); imports only kefu.config."""
