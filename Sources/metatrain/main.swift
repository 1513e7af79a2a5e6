print("metatrain")
