print("cotaudit")
